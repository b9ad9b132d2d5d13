// Reads committed offsets of each group and the latest offsets of their topics several times
// across the window: the series Burrow's rules and the lag-in-time table are built from.
import type { Admin } from 'kafkajs';
import { sampleOverWindow } from 'plugway/sdk';

export interface PartitionSeries {
  group: string;
  topic: string;
  partition: number;
  samples: Array<{ t: number; committed: number; latest: number }>;
}

export interface GroupSampleError {
  group: string;
  reason: string;
}

/** `topicsOf` maps a group to the topics it has committed offsets on (found by the first read). */
export async function sampleOffsets(
  admin: Admin,
  groups: string[],
  topics: string[],
  windowMs: number,
  count: number,
  signal?: AbortSignal,
): Promise<{ series: PartitionSeries[]; errors: GroupSampleError[] }> {
  const series = new Map<string, PartitionSeries>();
  const errors = new Map<string, string>();
  // A stopping plugin (signal) cuts the window short: the remaining reads are taken at once.
  await sampleOverWindow(
    async () => {
      const latest = new Map<string, Map<number, number>>();
      await Promise.all(
        topics.map(async (topic) => {
          try {
            const offs = await admin.fetchTopicOffsets(topic);
            latest.set(topic, new Map(offs.map((o) => [o.partition, Number(o.high ?? o.offset)])));
          } catch (err) {
            // e.g. an offline partition: lag on this topic cannot be computed, the rest still can.
            errors.set(`(latest offsets of topic ${topic})`, (err as Error).message);
          }
        }),
      );
      const t = Date.now();
      await Promise.all(
        groups.map(async (group) => {
          try {
            const res = await admin.fetchOffsets({ groupId: group, topics });
            for (const tp of res) {
              for (const p of tp.partitions) {
                const committed = Number(p.offset);
                if (!(committed >= 0)) continue; // -1: nothing committed on this partition
                const key = `${group}\0${tp.topic}\0${p.partition}`;
                const s = series.get(key) ?? { group, topic: tp.topic, partition: p.partition, samples: [] };
                const high = latest.get(tp.topic)?.get(p.partition);
                if (high === undefined) continue;
                s.samples.push({ t, committed, latest: high });
                series.set(key, s);
              }
            }
          } catch (err) {
            errors.set(group, (err as Error).message);
          }
        }),
      );
    },
    { windowMs, samples: count, signal, onAbort: 'finish' },
  );
  return { series: [...series.values()], errors: [...errors.entries()].map(([group, reason]) => ({ group, reason })) };
}
