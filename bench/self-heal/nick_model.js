// Model of nick-fields/retry's loop (research/self-heal.md §1) as plain
// Node: one Node process per step, spawn(cmd, {shell}) per attempt,
// completion polled every POLL_MS (the action's polling_interval_seconds,
// 1 s by default and never 0), retry_wait_seconds between attempts.
// Used only by bench.py to put the anchor's cost model next to self-heal.
const { spawn } = require('child_process');
const cmd = process.env.INPUT_COMMAND;
const attempts = parseInt(process.env.INPUT_MAX_ATTEMPTS || '3', 10);
const waitMs = 1000 * parseFloat(process.env.INPUT_RETRY_WAIT_SECONDS || '10');
const pollMs = parseInt(process.env.POLL_MS || '1000', 10);

function once() {
  return new Promise((resolve) => {
    let done = false, code = 0;
    const child = spawn(cmd, { shell: 'bash', stdio: 'inherit' });
    child.on('exit', (c) => { done = true; code = c; }); // c is null on a signal: the anchor's bug
    const poll = () => (done ? resolve(code > 0 ? code : 0) : setTimeout(poll, pollMs));
    if (pollMs > 0) setTimeout(poll, pollMs); else child.on('exit', () => resolve(code > 0 ? code : 0));
  });
}

(async () => {
  let code = 0;
  for (let a = 1; a <= attempts; a++) {
    code = await once();
    if (code === 0) break;
    if (a < attempts || true) await new Promise((r) => setTimeout(r, waitMs)); // waits after the last attempt too (#134)
  }
  process.exit(code);
})();
