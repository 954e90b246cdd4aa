export const CHROMIUM: string;
export const TURNSERVER: string;
export const UNZIP: string;
export function ensureTools(): void;
export declare const REDIS_SERVER: string;
export declare const NGINX: string;
