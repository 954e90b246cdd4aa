import { useEffect, useState } from 'preact/hooks';
import { normaliseInterests } from '../../../shared/interests';
import { LIMITS } from '../../../shared/limits';
import { interestsItem } from '../../lib/settings';
import { t } from '../i18n';

/** Up to five interest tags, remembered; people who share one are paired first. */
export function Interests() {
  const [tags, setTags] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  useEffect(() => {
    void interestsItem.getValue().then(setTags);
  }, []);

  const save = (next: string[]) => {
    const clean = normaliseInterests(next);
    setTags(clean);
    void interestsItem.setValue(clean);
  };

  function onKeyDown(event: KeyboardEvent) {
    if ((event.key === 'Enter' || event.key === ',') && draft.trim()) {
      event.preventDefault();
      save([...tags, draft]);
      setDraft('');
    } else if (event.key === 'Backspace' && !draft && tags.length) {
      save(tags.slice(0, -1));
    }
  }

  return (
    <div class="interests-input">
      <label for="interest">{t('interests')}</label>
      <ul class="tags">
        {tags.map((tag) => (
          <li key={tag}>
            {tag}
            <button type="button" class="tag-remove" aria-label={t('removeInterest', tag)} onClick={() => save(tags.filter((x) => x !== tag))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {tags.length < LIMITS.interests && (
        <input
          id="interest"
          type="text"
          maxLength={LIMITS.interestLength}
          placeholder={t('interestsPlaceholder')}
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          onKeyDown={onKeyDown}
        />
      )}
    </div>
  );
}
