export function asciiSource(text: string, file: string): string
