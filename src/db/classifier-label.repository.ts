import type { Database } from './database.ts';

/** The labels reps may correct to: the active model's, plus those an administrator added. */
export interface KnownLabels {
  /** Labels of the active model (empty before the first model is built). */
  modelLabels: string[];
  /** Labels added with `rapport model label add`, not (yet) in the active model. */
  added: { name: string; description: string }[];
}

/** Reads the active model's labels and the added ones in one statement. */
export async function readKnownLabels(db: Database): Promise<KnownLabels> {
  const [row] = await db.sql.query<{ modelLabels: string[] | null; added: { name: string; description: string }[] }>(
    `SELECT (SELECT labels FROM "Model" WHERE active LIMIT 1) AS "modelLabels",
            COALESCE((SELECT json_agg(json_build_object('name', name, 'description', description) ORDER BY name)
                        FROM "ClassifierLabel"), '[]'::json) AS added`,
  );
  const modelLabels = row?.modelLabels ?? [];
  return { modelLabels, added: (row?.added ?? []).filter((l) => !modelLabels.includes(l.name)) };
}

/** Adds a label; false when it already existed (its description is left as it was). */
export async function insertClassifierLabel(
  db: Database,
  label: { name: string; description: string; createdBy: string | null },
): Promise<boolean> {
  const rows = await db.sql.query<{ id: string }>(
    `INSERT INTO "ClassifierLabel" (id, name, description, "createdBy") VALUES (gen_random_uuid(), $1, $2, $3)
     ON CONFLICT (name) DO NOTHING RETURNING id`,
    [label.name, label.description, label.createdBy],
  );
  return rows.length > 0;
}
