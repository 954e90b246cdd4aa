export const CHROMIUM: string;
export const TURNSERVER: string;
export function ensureTools(): void;
