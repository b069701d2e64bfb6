// Unit tests never write the user's own caches (the package cache defaults to $XDG_CACHE_HOME/nx-conda/pkgs).
const { tmpdir } = require('node:os');
const { join } = require('node:path');

process.env.XDG_CACHE_HOME = join(tmpdir(), 'nx-conda-unit-cache');
