// The baseline of bench/cold-start.ts: a handler that imports nothing, bundled and measured like every function.
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });
