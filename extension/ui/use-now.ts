import { useEffect, useState } from 'preact/hooks';

/** Date.now(), refreshed every `ms` while `enabled` (for "typing…" and "video not arriving"). */
export function useNow(enabled: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [enabled, ms]);
  return now;
}
