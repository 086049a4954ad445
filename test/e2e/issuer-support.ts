/**
 * Issuer steps shared by the issue-5 e2e tests, done the way a person does them in the console (real forms, real
 * file uploads): create a template, upload a bulk file, publish and follow the progress, read the credential
 * e-mails in the platform outbox. French labels: the pages are driven in French.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_ORG_SLUG } from './support.js';

export const SLUG_PATH = `/console/${DEMO_ORG_SLUG}`;

export interface TemplateSpec {
  nameFr: string;
  descriptionFr: string;
  criteriaFr: string;
  /** One custom field (row "Champ 1"). */
  field?: { key: string; labelFr: string; type: 'text' | 'number' | 'date' | 'grade'; required: boolean };
}

/** Modèles → Nouveau modèle → fill the form → Créer le modèle. Returns the template id (ends on its page). */
export async function createTemplateThroughForm(page: Page, base: string, spec: TemplateSpec): Promise<string> {
  await page.goto(`${base}${SLUG_PATH}/templates?lang=fr`);
  await page.getByRole('link', { name: 'Nouveau modèle' }).click();
  await page.waitForURL(`${base}${SLUG_PATH}/templates/new`);
  const form = page.locator(`form[action="${SLUG_PATH}/templates"]`);
  await form.getByLabel('Nom (français)').fill(spec.nameFr);
  await form.getByLabel('Description (français)').fill(spec.descriptionFr);
  await form.getByLabel('Critères d’obtention (français)').fill(spec.criteriaFr);
  if (spec.field) {
    const row = form.getByRole('group', { name: 'Champ 1', exact: true });
    await row.getByLabel('Code (a–z, 0–9, _)').fill(spec.field.key);
    await row.getByLabel('Libellé (français)').fill(spec.field.labelFr);
    await row.getByLabel('Type de valeur').selectOption(spec.field.type);
    if (spec.field.required) await row.getByLabel('Obligatoire').check();
  }
  await form.getByRole('button', { name: 'Créer le modèle' }).click();
  await page.waitForURL((u) => /\/templates\/[^/]+$/.test(u.pathname) && u.searchParams.get('done') === 'created');
  const id = /\/templates\/([^/?]+)/.exec(page.url())![1]!;
  return id;
}

/**
 * A CSV of `rows` recipients (`nom,courriel,note`, header on line 1, so recipient i is on line i + 1), with an
 * invalid address on `badEmailLine` and no note on `missingNoteLine`. `tag` keeps addresses unique across files.
 */
export function recipientsCsv(rows: number, opts: { badEmailLine?: number; missingNoteLine?: number; tag?: string } = {}): string {
  const tag = opts.tag ?? 'lot';
  const lines = ['nom,courriel,note'];
  for (let i = 1; i <= rows; i++) {
    const line = i + 1;
    const n = String(i).padStart(2, '0');
    const email = line === opts.badEmailLine ? `personne${n}.${tag}-at-example.org` : `personne${n}.${tag}@example.org`;
    const note = line === opts.missingNoteLine ? '' : ['A', 'A+', 'B', 'B+', 'C'][i % 5]!;
    lines.push(`Personne ${n} ${tag === 'lot' ? 'Test' : tag},${email},${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Émission en lot → choose the template → upload the file with the file input. Returns the job id. */
export async function uploadBulkFile(page: Page, base: string, templateName: string, csv: string, filename = 'destinataires.csv'): Promise<string> {
  await page.goto(`${base}${SLUG_PATH}/bulk?lang=fr`);
  const form = page.locator(`form[action="${SLUG_PATH}/bulk"]`);
  await form.getByLabel('Modèle').selectOption({ label: templateName });
  await form.getByLabel('Fichier (CSV ou XLSX)').setInputFiles({ name: filename, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await form.getByRole('button', { name: 'Déposer le fichier' }).click();
  await page.waitForURL((u) => /\/bulk\/[^/]+$/.test(u.pathname));
  return /\/bulk\/([^/?]+)/.exec(page.url())![1]!;
}

/**
 * Records every value the page's scripts give a `<progress>` element (in sessionStorage, so it survives the reload
 * that follows completion). The page's CSP is untouched: init scripts run through the DevTools protocol.
 */
export async function recordProgressValues(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const proto = HTMLProgressElement.prototype;
    const desc = Object.getOwnPropertyDescriptor(proto, 'value');
    if (!desc?.set || !desc.get || (proto as unknown as { __e2e?: boolean }).__e2e) return;
    (proto as unknown as { __e2e?: boolean }).__e2e = true;
    Object.defineProperty(proto, 'value', {
      configurable: true,
      get() {
        return desc.get!.call(this);
      },
      set(v: number) {
        const seen = JSON.parse(sessionStorage.getItem('e2e-progress') ?? '[]') as number[];
        seen.push(Number(v));
        sessionStorage.setItem('e2e-progress', JSON.stringify(seen));
        desc.set!.call(this, v);
      },
    });
  });
}

export async function progressValues(page: Page): Promise<number[]> {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('e2e-progress') ?? '[]') as number[]);
}

/** On a draft job page with no invalid row: publish, then wait for the completed state (the page reloads itself). */
export async function publishAndWaitForCompletion(page: Page, count: number, timeoutMs = 90_000): Promise<void> {
  await page.getByRole('button', { name: count === 1 ? 'Publier 1 attestation' : `Publier ${count} attestations` }).click();
  await page.getByRole('heading', { name: 'Émission terminée', level: 3 }).waitFor({ timeout: timeoutMs });
}

/**
 * Reloads /admin/outbox until `count` messages with this subject are delivered locally; returns their links
 * (`/admin/outbox/<id>`).
 */
export async function waitForOutbox(page: Page, base: string, subject: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  await page.goto(`${base}/admin/outbox?lang=fr`);
  const rows = page.locator('main tbody tr', { hasText: subject });
  const delivered = rows.filter({ hasText: 'conservé localement' });
  const deadline = Date.now() + timeoutMs;
  while ((await delivered.count()) < count) {
    if (Date.now() > deadline) {
      throw new Error(`${await delivered.count()} of ${count} "${subject}" e-mails delivered locally after ${timeoutMs} ms (${await rows.count()} listed)`);
    }
    await page.waitForTimeout(500);
    await page.reload();
  }
  expect(await rows.count()).toBe(count);
  return delivered.getByRole('link', { name: subject }).evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
}

/** On /admin/outbox/<id>: the holder link (`/c/<id>?t=<token>`) of a credential e-mail. */
export async function holderLinkOfMail(page: Page, base: string): Promise<string> {
  const link = page.locator('main ul.list a[href*="/c/"]');
  expect(await link.count()).toBe(1);
  const href = (await link.getAttribute('href'))!;
  expect(href).toMatch(new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/c/[0-9a-f-]{36}\\?t=[^&\\s]+$`));
  expect(await page.locator('pre.mail').innerText()).toContain(href);
  return href;
}
