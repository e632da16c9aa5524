/** Wakes a release's rollout at a time (BullMQ delayed jobs in relm). */
export interface Waker {
  wakeAt(releaseId: number, at: Date): Promise<void>;
}
