/**
 * Valid request bodies for the routes of issue 5 (templates, bulk issuance, credentials, images, results, webhooks),
 * shared by Z1 (the foreign principal sends what would succeed if it were allowed), Z2 (allowed cells must succeed)
 * and Z3 (the same bodies with extra fields). Fresh values each call where a route refuses a repeat.
 */
import { randomBytes } from 'node:crypto';
import { solidPng } from '../../images/fixtures.js';
import { TEMPLATE_INPUT, csvOf } from '../../templates/support.js';
import type { Multipart } from './harness.js';

let counter = 0;
const next = () => `${++counter}-${randomBytes(3).toString('hex')}`;

/** The template editor form (flat fields), for TEMPLATE_INPUT under another name. */
export function editorForm(name = `Modèle ${next()}`): Record<string, string> {
  return {
    kind: 'certificate',
    'name.fr': name,
    'description.fr': TEMPLATE_INPUT.description.fr,
    'description.en': TEMPLATE_INPUT.description.en,
    'criteria.fr': TEMPLATE_INPUT.criteria.fr,
    'validity.unit': 'years',
    'validity.n': '3',
    defaultLocale: 'fr',
    'skills.0.name': 'Premiers secours',
    'skills.0.frameworkUri': TEMPLATE_INPUT.skills[0]!.frameworkUri!,
    'skills.0.code': '',
    'fields.0.key': 'note',
    'fields.0.label.fr': 'Note',
    'fields.0.label.en': 'Grade',
    'fields.0.type': 'grade',
    'fields.0.required': 'on',
    'fields.1.key': 'date_examen',
    'fields.1.label.fr': 'Date de l’examen',
    'fields.1.type': 'date',
    'email.subject.fr': TEMPLATE_INPUT.email.subject.fr,
    'email.body.fr': TEMPLATE_INPUT.email.body.fr,
  };
}

/** `POST/PUT /api/v1/templates` body. */
export function templateJson(name = `Modèle ${next()}`): Record<string, unknown> {
  return { ...TEMPLATE_INPUT, name: { fr: name } };
}

/** The one-off issuance form of the seeded template (fields.0 = note, fields.1 = date_examen). */
export function issueForm(email: string): Record<string, string> {
  return { name: `Destinataire ${next()}`, email, 'fields.0': 'A', 'fields.1': '' };
}

/** One API recipient of the seeded template. */
export function recipientJson(email: string): Record<string, unknown> {
  return { name: `Destinataire ${next()}`, email, fields: { note: 'B+' } };
}

export const RULES_FORM = { enabled: 'on', activities: 'sec-101', requirePassed: 'on', policy: 'once', mode: 'all' };

/** A bulk upload of the seeded template: a CSV of `rows` valid rows (header on line 1). */
export function bulkUpload(templateId: string, rows = 2, options: { bad?: Record<number, string> } = {}): Multipart {
  return { fields: { templateId }, file: { field: 'file', filename: 'cohorte.csv', content: csvOf(rows, options), type: 'text/csv' } };
}

/** An image upload (a PNG of a fresh colour, so it is never deduplicated). */
export function imageUpload(): Multipart {
  const colour = `#${randomBytes(3).toString('hex')}`;
  return { fields: {}, file: { field: 'image', filename: 'badge.png', content: solidPng(8, 8, colour), type: 'image/png' } };
}

/** A results file: one passed result of `sec-101` yesterday for `email`. */
export function resultsUpload(email: string, now: Date): Multipart {
  const day = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const csv = `courriel;nom;activité;réussi;date\r\n${email};Apprenant ${next()};sec-101;oui;${day}\r\n`;
  return { fields: {}, file: { field: 'file', filename: 'resultats.csv', content: Buffer.from(csv, 'utf8'), type: 'text/csv' } };
}

/** `POST /api/v1/results` body. */
export function resultsJson(email: string, now: Date): Record<string, unknown> {
  const day = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  return { results: [{ learner: { email, name: `Apprenant ${next()}` }, activity: 'sec-101', passed: true, date: day }] };
}

export const WEBHOOK_EVENTS = ['credential.issued', 'job.completed'];
export const webhookUrl = () => `https://hooks.example.org/throwaway/${next()}`;

/** The mapping form of a job of `csvOf` (Nom, Courriel, Note, Date de l’examen). */
export const MAPPING_FORM = { 'map.0': 'name', 'map.1': 'email', 'map.2': 'field:note', 'map.3': 'field:date_examen' };

/** A fix of the invalid row 3 of a draft job. */
export function rowFixForm(email: string): Record<string, string> {
  return { name: `Corrigé ${next()}`, email, 'field:note': 'A', 'field:date_examen': '' };
}
