"""The runner's file-command parser (actions/runner FileCommandManager.cs,
EnvFileKeyValuePairs, Linux line endings), shared by the CLI case runner and
the composite-action runner so both read GITHUB_OUTPUT exactly as GitHub does."""


class FileCommandError(ValueError):
    pass


def parse_file_commands(text, what):
    """actions/runner FileCommandManager.cs EnvFileKeyValuePairs (Linux)."""
    out = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        eq, hd = line.find("="), line.find("<<")
        if eq >= 0 and (hd < 0 or eq < hd):
            out[line[:eq]] = line[eq + 1:]
            continue
        if hd < 0:
            raise FileCommandError(f"{what}: Invalid format '{line}'")
        name, delim = line[:hd], line[hd + 2:]
        if not name or not delim:
            raise FileCommandError(
                f"{what}: Invalid format '{line}'. Name must not be empty "
                "and delimiter must not be empty")
        val = []
        while True:
            if i >= len(lines):
                raise FileCommandError(
                    f"{what}: Invalid value. Matching delimiter not found '{delim}'")
            if lines[i] == delim:
                i += 1
                break
            val.append(lines[i])
            i += 1
        out[name] = "\n".join(val)
    return out
