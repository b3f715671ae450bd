import { context, propagation, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanLimits } from '@opentelemetry/sdk-trace-base';

/** A reader the test collects from on demand (what a Prometheus scrape does). */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The real OpenTelemetry SDK, in memory: a meter provider, a tracer provider and their readers. */
export function createSdk(options: { spanLimits?: SpanLimits } = {}) {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)], ...(options.spanLimits ? { spanLimits: options.spanLimits } : {}) });
  const collect = async (): Promise<MetricData[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  };
  return {
    /** For createOtelInstrumentation. */
    providers: { meterProvider, tracerProvider },
    spans,
    collect,
    /** Sum of a counter's points (or count of a histogram's) whose attributes match `where` (undefined: absent). */
    async total(name: string, where: Attributes = {}): Promise<number> {
      const metric = (await collect()).find((m) => m.descriptor.name === name);
      if (!metric) return 0;
      let sum = 0;
      for (const p of metric.dataPoints) {
        if (!Object.entries(where).every(([k, v]) => p.attributes[k] === v)) continue;
        sum += metric.dataPointType === DataPointType.HISTOGRAM ? (p.value as { count: number }).count : (p.value as number);
      }
      return sum;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** What an SDK registers for an application: async context and W3C trace context + baggage. */
export function registerGlobals(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return () => {
    propagation.disable();
    context.disable();
  };
}
