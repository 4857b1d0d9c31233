import express, { type Request, type Response } from 'express';
import type { CommandContext } from '../../src/commands/command-context.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Database } from '../../src/db/database.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import {
  addCompanyDomain,
  editContact,
  removeCompanyDomain,
  removeContact,
  saveContact,
} from '../../src/services/customer-contacts.service.ts';
import { type CustomerSort, listCustomers } from '../../src/services/customer-list.service.ts';
import { importCustomersCsv } from '../../src/services/import-customers.service.ts';
import { countFollowUps, type FollowUpFilter, listFollowUps } from '../../src/services/follow-ups.service.ts';
import { pageOfUnconfirmedSenders, makeCustomer } from '../../src/services/make-customer.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import { viewerOf } from './console-access.ts';
import { consoleActor } from './console-actor.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';

/**
 * Customer health from the insights engine, when it exists: the customers page shows its column and
 * sorts by it. Optional: without it the column is absent and "health" is not offered as a sort.
 */
export interface CustomerHealthSource {
  /**
   * Every scored company id, most at risk first, the healthy after them by name; customers with nothing
   * to score (not the same as healthy) follow in the list, by name.
   */
  ranking(): Promise<string[]>;
  /** Each company's health (100 = healthy … 0), risk (100 - health), at-risk flag and main reason, for the given ids. */
  scores(companyIds: string[]): Promise<Map<string, CustomerHealthSummary>>;
}

/** A customer's health in one line: the customers list's column and "My day". */
export interface CustomerHealthSummary {
  /** 100 = healthy … 0; null: nothing to score (`reason` says why), which is not the same as healthy. */
  health: number | null;
  risk: number | null;
  atRisk: boolean;
  /** The reason that adds the most risk, in words; for a customer not scored, why. */
  reason?: string;
}

export interface ConsoleApiDeps {
  db: Database;
  executeCommand: (text: string, ctx: CommandContext) => Promise<Reply>;
  timezone: string;
  customerHealth?: CustomerHealthSource;
}

const PAGE_SIZE = 25;
/** Unconfirmed senders the console lists (the newest). */
const UNCONFIRMED_SHOWN = 200;

function pageOf(req: Request): number {
  const n = Number(req.query.page ?? 1);
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
}

function sendError(res: Response, err: unknown): void {
  const code = err instanceof RapportError ? err.code : 'unknown';
  const status =
    code === 'not_found' ? 404 : code === 'conflict' || code === 'erased' ? 409 : code === 'unknown' ? 500 : 400;
  res.status(status).json({ error: userMessage(err) });
}

/**
 * The JSON behind the console's pages: `GET /api/customers` (search, sort, paging), contacts and
 * domains of a customer (add, edit, remove), `GET /api/followups?view=` and `POST /api/followups/bulk`.
 * Mount behind the console's access check.
 */
export function createConsoleApiRouter(deps: ConsoleApiDeps): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb' });
  const actorOf = (res: Response) => consoleActor(viewerOf(res), undefined, deps.timezone);
  const auditActor = async (res: Response) => ({
    repId: (await findOrCreateRep(deps.db.prisma, actorOf(res))).id,
    platform: 'console',
  });
  const company = (req: Request) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw new RapportError('not_found', 'That customer does not exist (any more).');
    return id;
  };

  router.get('/api/customers', async (req, res) => {
    try {
      const page = pageOf(req);
      const sortRaw = String(req.query.sort ?? 'last_contact');
      const health = deps.customerHealth;
      const sorts: string[] = ['last_contact', 'least_recent', 'name', ...(health ? ['health'] : [])];
      if (!sorts.includes(sortRaw))
        throw new RapportError('invalid_input', `Sort by one of: ${sorts.join(', ')} (got "${sortRaw}").`);
      const result = await listCustomers(deps.db, {
        search: typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : '',
        sort: sortRaw === 'health' ? undefined : (sortRaw as CustomerSort),
        orderedIds: sortRaw === 'health' && health ? await health.ranking() : undefined,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      });
      const scores = health ? await health.scores(result.rows.map((r) => r.id)) : undefined;
      res.set('Cache-Control', 'no-store').json({
        total: result.total,
        page,
        pageSize: PAGE_SIZE,
        sorts,
        columns: ['name', 'lastContactAt', 'contactCount', 'openFollowUps', ...(health ? ['health'] : [])],
        customers: result.rows.map((r) => ({ ...r, ...(scores ? { health: scores.get(r.id) ?? null } : {}) })),
      });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/api/customers/:id/contacts', json, async (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
      const saved = await saveContact(
        deps.db.prisma,
        company(req),
        { name: str('name'), email: str('email'), phone: str('phone') },
        await auditActor(res),
      );
      res.status(saved.outcome === 'created' ? 201 : 200).json(saved);
    } catch (err) {
      sendError(res, err);
    }
  });

  router.put('/api/customers/:id/contacts/:contactId', json, async (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const list = (k: string) =>
        Array.isArray(body[k]) ? (body[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      const contact = await editContact(
        deps.db.prisma,
        company(req),
        String(req.params.contactId),
        { name: typeof body.name === 'string' ? body.name : '', emails: list('emails'), phones: list('phones') },
        await auditActor(res),
      );
      res.json({ contact });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.delete('/api/customers/:id/contacts/:contactId', async (req, res) => {
    try {
      await removeContact(deps.db.prisma, company(req), String(req.params.contactId), await auditActor(res));
      res.status(204).end();
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/api/customers/:id/domains', json, async (req, res) => {
    try {
      const domain = typeof req.body?.domain === 'string' ? req.body.domain : '';
      const added = await addCompanyDomain(deps.db.prisma, company(req), domain, await auditActor(res));
      res.status(added ? 201 : 200).json({ added });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.delete('/api/customers/:id/domains/:domain', async (req, res) => {
    try {
      await removeCompanyDomain(deps.db.prisma, company(req), String(req.params.domain), await auditActor(res));
      res.status(204).end();
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/api/followups', async (req, res) => {
    try {
      const view = String(req.query.view ?? 'mine');
      const now = new Date();
      const rep = await findOrCreateRep(deps.db.prisma, actorOf(res));
      const filters: Record<string, FollowUpFilter> = {
        mine: { kind: 'mine', repId: rep.id },
        today: { kind: 'today', repId: rep.id, timeZone: rep.timezone, now },
        overdue: { kind: 'overdue', now },
        all: { kind: 'all' },
      };
      const filter = filters[view];
      if (!filter) throw new RapportError('invalid_input', 'Show one of: mine, today, overdue, all.');
      const page = pageOf(req);
      const [total, followUps] = await Promise.all([
        countFollowUps(deps.db, filter),
        listFollowUps(deps.db, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE),
      ]);
      res.set('Cache-Control', 'no-store').json({
        view,
        total,
        page,
        pageSize: PAGE_SIZE,
        now: now.toISOString(),
        followUps: followUps.map((f) => ({
          number: f.number,
          title: f.title,
          status: f.status,
          dueAt: f.dueAt,
          overdue: f.dueAt.getTime() < now.getTime(),
          company: f.company ? { id: f.company.id, name: f.company.name } : null,
          assignee: f.assignee?.name ?? null,
        })),
      });
    } catch (err) {
      sendError(res, err);
    }
  });

  /**
   * Several follow-ups at once: `{"action": "done"|"snooze", "numbers": [3, 4], "when": "tomorrow 9am"}`,
   * run through the command grammar (`done 3 4`, `snooze 3 tomorrow 9am`), so the rules, the audit log
   * and the cards in the channels are the same as for a typed command.
   */
  router.post('/api/followups/bulk', json, async (req, res) => {
    try {
      const body = (req.body ?? {}) as { action?: unknown; numbers?: unknown; when?: unknown };
      const numbers = Array.isArray(body.numbers)
        ? body.numbers.filter((n): n is number => Number.isInteger(n) && n > 0).slice(0, 200)
        : [];
      if (numbers.length === 0) throw new RapportError('invalid_input', 'Pick at least one follow-up.');
      const when = typeof body.when === 'string' ? body.when.trim() : '';
      if (body.action !== 'done' && body.action !== 'snooze')
        throw new RapportError('invalid_input', 'The action is "done" or "snooze".');
      if (body.action === 'snooze' && !when) throw new RapportError('invalid_input', 'Say until when to snooze them.');
      const ctx: CommandContext = {
        actor: actorOf(res),
        channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
        now: new Date(),
      };
      const replies: Reply[] = [];
      if (body.action === 'done') replies.push(await deps.executeCommand(`done ${numbers.join(' ')}`, ctx));
      else for (const n of numbers) replies.push(await deps.executeCommand(`snooze ${n} ${when}`, ctx));
      res.json({ replies });
    } catch (err) {
      sendError(res, err);
    }
  });
  /**
   * Senders logged without a company (IMAP_CREATE_COMPANIES=answered), by domain (free mail by address),
   * newest first, 200 (`pageSize`) from `?offset=` (default 0), with `total`.
   */
  router.get('/api/unconfirmed-senders', async (req, res) => {
    try {
      const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
      if (!Number.isInteger(offset) || offset < 0)
        throw new RapportError(
          'invalid_input',
          `offset must be a whole number of senders to skip, 0 or more (got "${String(req.query.offset)}").`,
        );
      res
        .set('Cache-Control', 'no-store')
        .json({ ...(await pageOfUnconfirmedSenders(deps.db, offset, UNCONFIRMED_SHOWN)), pageSize: UNCONFIRMED_SHOWN });
    } catch (err) {
      sendError(res, err);
    }
  });
  /** `{ key, name? }`: makes the senders at a domain (or one address) a customer, as `rapport mail make-customer`. */
  router.post('/api/unconfirmed-senders/make-customer', json, async (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body.key !== 'string' || body.key.trim() === '')
        throw new RapportError('invalid_input', 'Say which sender: a domain such as acme.com or an email address.');
      const name =
        typeof body.name === 'string' && body.name.trim() !== '' ? body.name.trim().slice(0, 200) : undefined;
      const key = body.key.slice(0, 320);
      res.json(
        await makeCustomer(deps.db, key, await auditActor(res), { name }).catch((err: unknown) => {
          // The CLI's sentence points at `rapport mail unconfirmed`; here the list is on the page.
          if (err instanceof RapportError && err.code === 'not_found')
            throw new RapportError(
              'not_found',
              `Nobody at ${key.trim()} is waiting any more: someone made them a customer, or their mail was erased. Reload the list.`,
            );
          throw err;
        }),
      );
    } catch (err) {
      sendError(res, err);
    }
  });
  /**
   * A CSV of companies and contacts (the file as the body, `text/csv`); `?dryRun=1` checks every row
   * and changes nothing. Answers the summary with each row's outcome and, for bad rows, the reason.
   */
  router.post(
    '/api/import/customers',
    express.text({ type: ['text/*', 'application/csv', 'application/octet-stream'], limit: '10mb' }),
    async (req, res) => {
      try {
        if (typeof req.body !== 'string' || req.body.trim() === '')
          throw new RapportError('invalid_input', 'Send the CSV file as the request body (Content-Type: text/csv).');
        const dryRun = req.query.dryRun === '1' || req.query.dryRun === 'true';
        res.json(await importCustomersCsv(deps.db, req.body, { dryRun, actor: await auditActor(res) }));
      } catch (err) {
        sendError(res, err);
      }
    },
  );
  return router;
}
