/** How an adapter reports one call to another system: its route, how long it took, and its status when it failed (for metrics). */
export type CallObserver = (route: string, seconds: number, failed?: { status?: number }) => void;
