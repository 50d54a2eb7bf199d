import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes migrations/NNNN_name.sql from the schema; wrangler applies
// them (`migrations_dir` in wrangler.jsonc) and the worker tests apply them with
// applyD1Migrations.
export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
});
