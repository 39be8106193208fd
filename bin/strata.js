#!/usr/bin/env node
// The `strata` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

// The SDK warns on every run that Node 20 support ends in 2027; the CLI says it once in its docs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
