#!/usr/bin/env node
// The `rapport` command. Rapport runs its TypeScript sources through tsx (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('../app/cli.ts');
