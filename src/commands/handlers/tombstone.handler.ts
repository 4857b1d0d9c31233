import { removeTombstones } from '../../services/tombstones.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';

/**
 * `tombstone remove <name, email or domain>`: an erased customer came back and agreed to be recorded.
 * Admin-only (execute-command's ADMIN_ONLY): RAPPORT_ADMINS, workspace admins, the console and the CLI.
 */
export async function handleTombstone(cmd: Extract<Command, { kind: 'tombstone' }>, h: HandlerContext): Promise<Reply> {
  const kinds = await removeTombstones(h.deps.db.prisma, cmd.remove, h.audit);
  if (kinds.length === 0) {
    return {
      tone: 'info',
      text: `No tombstone matches "${cmd.remove}" (a company's exact name, an email or a domain of an erased customer); nothing changed.`,
    };
  }
  return {
    tone: 'success',
    text: `Removed the tombstone for "${cmd.remove}" (${kinds.map((k) => k.replace('company-name', 'company name')).join(', ')}): Rapport records it again. Other keys of that customer (its contacts' emails, its domains) stay blocked until removed too.`,
  };
}
