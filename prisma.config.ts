import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (generate, and `migrate deploy` on machines that can run the schema engine).
// The app itself applies prisma/migrations through src/db/migrate.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/rapport' },
});
