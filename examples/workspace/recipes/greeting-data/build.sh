#!/bin/bash
set -euo pipefail
mkdir -p "$PREFIX/share/greetings"
printf 'hello\nbonjour\nhallo\nhola\n' > "$PREFIX/share/greetings/greetings.txt"
