#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "shim.h"

/*
 * malloc, fork and exec. malloc must work before the shim is set up:
 * dlsym itself may allocate, so while resolving we fall back to glibc's
 * __libc_malloc. fork lineage is kept by pthread_atfork handlers (core.c);
 * posix_spawn and vfork skip those, so they are handled here, and exec
 * with an explicit envp gets the right lineage patched in.
 */
#define SHIM_ENV_MAX 2048

void *__libc_malloc(size_t n);

typedef void *malloc_fn(size_t);
typedef pid_t fork_fn(void);
typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
    const posix_spawnattr_t *, char *const[], char *const[]);
typedef int execve_fn(const char *, char *const[], char *const[]);

static malloc_fn *real_malloc;
static fork_fn *real_fork;
static spawn_fn *real_posix_spawn, *real_posix_spawnp;
static execve_fn *real_execve, *real_execvpe;

SHIM_SLOW static int
fork_fault(const char *fn)
{
	struct shim_target t = { fn, NULL, -1, NULL, NULL };
	struct shim_fire f;

	if (shim_on(CHAOS_FORK) && !shim_busy &&
	    shim_decide(CHAOS_FORK, &t, &f) && f.action == CHAOS_ACT_FAIL)
		return f.err;
	return 0;
}

SHIM_SLOW static bool
malloc_fault(void)
{
	struct shim_target t = { "malloc", NULL, -1, NULL, NULL };
	struct shim_fire f;

	return shim_decide(CHAOS_MALLOC, &t, &f) && f.action == CHAOS_ACT_FAIL;
}

SHIM_SLOW static void *
malloc_first(size_t n)
{
	if (shim_busy)
		return __libc_malloc(n);
	SHIM_LOAD(malloc);
	return real_malloc(n);
}

SHIM_EXPORT void *
malloc(size_t n)
{
	if (SHIM_UNLIKELY(shim_on(CHAOS_MALLOC)) && !shim_busy &&
	    malloc_fault()) {
		errno = ENOMEM;
		return NULL;
	}
	if (SHIM_UNLIKELY(real_malloc == NULL))
		return malloc_first(n);
	return real_malloc(n);
}

SHIM_EXPORT pid_t
fork(void)
{
	int e;

	SHIM_LOAD(fork);
	if (SHIM_UNLIKELY(shim_on(CHAOS_FORK)) && (e = fork_fault("fork"))) {
		errno = e;
		return -1;
	}
	return real_fork();
}

/* vfork children share our memory and skip atfork handlers; a plain fork
 * gives them their own lineage and is always a valid vfork. */
SHIM_EXPORT pid_t
vfork(void)
{
	int e;

	SHIM_LOAD(fork);
	if (SHIM_UNLIKELY(shim_on(CHAOS_FORK)) && (e = fork_fault("vfork"))) {
		errno = e;
		return -1;
	}
	return real_fork();
}

SHIM_SLOW static int
spawn_common(spawn_fn *real, const char *fn, pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	char *env[SHIM_ENV_MAX];
	char slot[64];
	int e;

	if ((e = fork_fault(fn)) != 0)
		return e;
	if (shim_env_with_lineage(envp, shim_next_image(shim_next_child()), env,
	        SHIM_ENV_MAX, slot, sizeof(slot)) != 0)
		return real(pid, path, fa, attr, argv, envp);
	return real(pid, path, fa, attr, argv, env);
}

SHIM_EXPORT int
posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	SHIM_LOAD(posix_spawn);
	if (SHIM_UNLIKELY(shim_on(SHIM_ON)) && !shim_busy)
		return spawn_common(real_posix_spawn, "posix_spawn", pid, path,
		    fa, attr, argv, envp);
	return real_posix_spawn(pid, path, fa, attr, argv, envp);
}

SHIM_EXPORT int
posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	SHIM_LOAD(posix_spawnp);
	if (SHIM_UNLIKELY(shim_on(SHIM_ON)) && !shim_busy)
		return spawn_common(real_posix_spawnp, "posix_spawnp", pid,
		    file, fa, attr, argv, envp);
	return real_posix_spawnp(pid, file, fa, attr, argv, envp);
}

/* An explicit envp (Python's subprocess copies os.environ at startup,
 * bash passes its own export list) carries a stale lineage: patch in this
 * image's successor. */
SHIM_EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	char *env[SHIM_ENV_MAX];
	char slot[64];

	SHIM_LOAD(execve);
	if (shim_on(SHIM_ON) &&
	    shim_env_with_lineage(envp, shim_next_image(shim_own_lineage()),
	        env, SHIM_ENV_MAX, slot, sizeof(slot)) == 0)
		return real_execve(path, argv, env);
	return real_execve(path, argv, envp);
}

SHIM_EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	char *env[SHIM_ENV_MAX];
	char slot[64];

	SHIM_LOAD(execvpe);
	if (shim_on(SHIM_ON) &&
	    shim_env_with_lineage(envp, shim_next_image(shim_own_lineage()),
	        env, SHIM_ENV_MAX, slot, sizeof(slot)) == 0)
		return real_execvpe(file, argv, env);
	return real_execvpe(file, argv, envp);
}
