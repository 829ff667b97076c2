#!/usr/bin/env node
import '../dist/src/tsvirsh/main.js';
