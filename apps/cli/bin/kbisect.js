#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: no build step between a checkout and a run.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
