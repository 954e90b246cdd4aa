export function serveBenchChild(listen: () => Promise<number>): void;
