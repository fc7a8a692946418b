#!/bin/sh
exec cat "$(dirname "$0")/serve.runfiles/features/data.txt"
