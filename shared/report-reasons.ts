/** Why a person reports a stranger. Apart from protocol.ts so views can list them without loading zod (the popup's size). */
export const REPORT_REASONS = ['nudity', 'harassment', 'spam', 'underage', 'other'] as const;
