#!/bin/bash
set -euo pipefail
# greeting-data is in the host prefix because the staging channel holds its package.
test -f "$PREFIX/share/greetings/greetings.txt"
mkdir -p "$PREFIX/bin"
cat > "$PREFIX/bin/greeter" <<'SH'
#!/bin/sh
cat "$(dirname "$0")/../share/greetings/greetings.txt"
SH
chmod +x "$PREFIX/bin/greeter"
