export const CHROMIUM: string;
export const TURNSERVER: string;
export const UNZIP: string;
export function ensureTools(): void;
