// The installed package's entry (scripts/build-package.ts bundles it): node/cli.ts runs itself
// only as the main module (import.meta.main, Node 24), which a bundle chunk never is.
import { run } from "./cli.ts";

run(process.argv.slice(2));
