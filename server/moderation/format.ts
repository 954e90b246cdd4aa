/** How the console writes times, lengths and ids (UTC, so every moderator reads the same). */
import { FOREVER } from '../store';

export function time(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function until(date: Date): string {
  return date.getTime() >= FOREVER.getTime() ? 'for good' : `until ${time(date)}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return 'no record';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The first 8 characters: enough to tell people apart on a page; the full id is in the link. */
export function short(id: string): string {
  return id.slice(0, 8);
}
