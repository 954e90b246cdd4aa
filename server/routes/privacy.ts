import { Router } from 'express';

/** GET /privacy: the privacy policy, in English or French (?lang=, else the browser's Accept-Language). */
export function privacyRouter(deps: { retentionDays: number; contact?: string; relayOnly: boolean }): Router {
  return Router().get('/privacy', (req, res) => {
    const asked = req.query.lang;
    const lang = asked === 'fr' || asked === 'en' ? asked : req.acceptsLanguages('en', 'fr') || 'en';
    res.set('Content-Language', lang).render(`privacy-${lang}`, { retentionDays: deps.retentionDays, contact: deps.contact, relayOnly: deps.relayOnly });
  });
}
