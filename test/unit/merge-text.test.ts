/**
 * Merge fields in the issuer's own e-mail texts: values replace `{{field}}`, and in French a value starting with a
 * vowel elides the word before it (« Votre {{titre}} de {{organisation}} » must not read « … de Institut Démo »).
 */
import { describe, expect, it } from 'vitest';
import { mergeText } from '../../src/domain/issuance/issue-batch.js';

const values = { titre: 'Certificat de secourisme', organisation: 'Institut Démo', nom: 'Anne', autre: 'Lycée Roux', lieu: 'Hôtel de ville' };

describe('mergeText', () => {
  it('fills every known field and leaves unknown ones as written', () => {
    expect(mergeText('Bonjour {{ nom }}, {{inconnu}}', values, 'fr')).toBe('Bonjour Anne, {{inconnu}}');
  });

  it('elides French words before a value that starts with a vowel', () => {
    expect(mergeText('Votre {{titre}} de {{organisation}}', values, 'fr')).toBe('Votre Certificat de secourisme d’Institut Démo');
    expect(mergeText('Bravo, c’est ce que {{nom}} attendait ; la {{organisation}} et le {{organisation}}', values, 'fr')).toBe(
      'Bravo, c’est ce qu’Anne attendait ; l’Institut Démo et l’Institut Démo',
    );
    expect(mergeText('De {{organisation}} : félicitations', values, 'fr')).toBe('D’Institut Démo : félicitations');
  });

  it('keeps the word before a consonant, an h (mute or not cannot be told), in English, and inside another word', () => {
    expect(mergeText('Votre {{titre}} de {{autre}}', values, 'fr')).toBe('Votre Certificat de secourisme de Lycée Roux');
    expect(mergeText('Remise de {{lieu}}', values, 'fr')).toBe('Remise de Hôtel de ville');
    expect(mergeText('Your {{titre}} de {{organisation}}', values, 'en')).toBe('Your Certificat de secourisme de Institut Démo');
    expect(mergeText('Monde {{organisation}}', values, 'fr')).toBe('Monde Institut Démo');
  });
});
