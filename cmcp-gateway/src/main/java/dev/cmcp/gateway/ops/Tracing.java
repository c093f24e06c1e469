package dev.cmcp.gateway.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * OpenTelemetry tracing of the requests to {@code /mcp}: a server span per HTTP request, child of
 * the agent's W3C {@code traceparent}, and a child span for each step (decode, authenticate,
 * decide, audit, forward, redact), sent to a collector over OTLP/HTTP. Off unless the config names
 * a collector.
 *
 * <p>The request's span and this tracer travel in OpenTelemetry's {@link Context} of the thread
 * serving the request, so that a step deep in the pipeline starts its span with {@link #step}
 * without every constructor on the way taking a tracer. Off, no context holds one, and a step
 * costs one thread-local read and returns the invalid span, on which every call does nothing.
 *
 * <p>Spans carry names, decision words, policy ids, outcome words, counts and request ids, never a
 * call's arguments or results, nor the session id (which lets its holder fetch the session's claim).
 */
public final class Tracing implements AutoCloseable {

  private static final ContextKey<Tracer> TRACER = ContextKey.named("cmcp-tracer");
  /** W3C trace context, version 00 and later versions' first four fields. */
  private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  private static final int MAX_TRACESTATE_CHARS = 512;
  private static final Set<String> KNOWN_METHODS = Set.of("GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH");
  private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };
  private static final Tracing OFF = new Tracing(Optional.empty());

  private final Optional<SdkTracerProvider> provider;
  private final Optional<Tracer> tracer;

  private Tracing(Optional<SdkTracerProvider> provider) {
    this.provider = provider;
    this.tracer = provider.map(sdk -> sdk.get("dev.cmcp.gateway"));
  }

  /** No tracing: nothing is extracted, recorded or sent. */
  public static Tracing off() {
    return OFF;
  }

  /** Tracing as {@code telemetry} says: off without an endpoint, else batched to its OTLP/HTTP collector. */
  public static Tracing of(Telemetry telemetry, String serviceVersion) {
    if (telemetry.tracesEndpoint().isEmpty()) {
      return OFF;
    }
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
        .setEndpoint(telemetry.tracesEndpoint().get().toString())
        .build();
    AttributesBuilder attributes = Attributes.builder()
        .put(AttributeKey.stringKey("service.name"), "cmcp-gateway")
        .put(AttributeKey.stringKey("service.version"), serviceVersion);
    telemetry.resourceAttributes().forEach((name, value) -> attributes.put(AttributeKey.stringKey(name), value));
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(attributes.build())))
        // A trace the agent began keeps the agent's decision; one begun here is sampled by ratio.
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(telemetry.samplingRatio())))
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
        .build();
    return new Tracing(Optional.of(provider));
  }

  public boolean on() {
    return tracer.isPresent();
  }

  /**
   * Starts the span of one HTTP request and makes it current on this thread until the returned
   * span is closed, on the same thread.
   *
   * @param route the path as the span names it, with no identifiers in it
   * @param traceparent the agent's {@code traceparent} header, or null; a malformed one is ignored
   *     and a new trace begins
   * @param tracestate the agent's {@code tracestate} header, or null
   */
  // The scope is handed to the RequestSpan returned, whose close() (try-with-resources at the caller) closes it.
  @SuppressWarnings("MustBeClosedChecker")
  public RequestSpan request(String method, String route, String traceparent, String tracestate) {
    if (tracer.isEmpty()) {
      return RequestSpan.NONE;
    }
    Map<String, String> carrier = new HashMap<>(4);
    if (traceparent != null && isTraceparent(traceparent)) {
      carrier.put("traceparent", traceparent);
      if (tracestate != null && tracestate.length() <= MAX_TRACESTATE_CHARS) {
        carrier.put("tracestate", tracestate);
      }
    }
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, FROM_MAP);
    // Jetty accepts any token as a method; only the usual ones name a span.
    String known = KNOWN_METHODS.contains(method) ? method : "_OTHER";
    Span span = tracer.get().spanBuilder(known + " " + route).setSpanKind(SpanKind.SERVER).setParent(parent)
        .setAttribute("http.request.method", known)
        .setAttribute("http.route", route)
        .startSpan();
    Scope scope = parent.with(span).with(TRACER, tracer.get()).makeCurrent();
    return new RequestSpan(span, scope);
  }

  /** The span of one HTTP request while it is current. */
  public static final class RequestSpan implements AutoCloseable {
    static final RequestSpan NONE = new RequestSpan(Span.getInvalid(), Scope.noop());

    private final Span span;
    private final Scope scope;

    private RequestSpan(Span span, Scope scope) {
      this.span = span;
      this.scope = scope;
    }

    /** What the gateway answered: its status and request id. */
    public void answered(int status, String requestId) {
      span.setAttribute("http.response.status_code", status);
      if (requestId != null) {
        span.setAttribute("cmcp.request_id", requestId);
      }
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
    }

    @Override
    public void close() {
      scope.close();
      span.end();
    }
  }

  /** A step of the request being served on this thread, as an internal span. */
  public static Span step(String name) {
    return step(name, SpanKind.INTERNAL);
  }

  /**
   * A step of the request being served on this thread: a child of its span, to be ended by the
   * caller; the invalid span, which records nothing, when no traced request is being served.
   */
  public static Span step(String name, SpanKind kind) {
    Context context = Context.current();
    Tracer tracer = context.get(TRACER);
    return tracer == null ? Span.getInvalid() : tracer.spanBuilder(name).setSpanKind(kind).setParent(context).startSpan();
  }

  /** {@code task}, run with this thread's trace context wherever it runs; {@code task} itself when none. */
  public static Runnable carried(Runnable task) {
    Context context = Context.current();
    return context.get(TRACER) == null ? task : context.wrap(task);
  }

  /** The trace id of the request being served on this thread, when it is traced. */
  public static Optional<String> traceId() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? Optional.of(span.getTraceId()) : Optional.empty();
  }

  /**
   * Writes {@code span}'s W3C trace context into {@code params._meta} (keys {@code traceparent},
   * {@code tracestate}), where MCP carries it to a server whatever the transport; replaces what the
   * agent wrote there, since the server's parent is now the gateway's span. Nothing when the span is
   * invalid (tracing off): the agent's {@code _meta} then passes as it came.
   */
  public static void inject(Span span, ObjectNode params) {
    if (!span.getSpanContext().isValid()) {
      return;
    }
    JsonNode meta = params.get("_meta");
    ObjectNode into = meta instanceof ObjectNode object ? object : params.putObject("_meta");
    into.remove("tracestate");
    W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), into, (carrier, key, value) -> carrier.put(key, value));
  }

  /** Whether {@code value} is a W3C {@code traceparent}, safe to send as a header. */
  public static boolean isTraceparent(String value) {
    return value.length() <= 128 && TRACEPARENT.matcher(value).lookingAt()
        && (value.length() == 55 || value.charAt(55) == '-');
  }

  /** Sends the spans ended so far; for tests and shutdown. */
  public void flush() {
    provider.ifPresent(sdk -> sdk.forceFlush().join(10, TimeUnit.SECONDS));
  }

  /** Sends what is left and stops; waits at most 10 s for the collector. */
  @Override
  public void close() {
    provider.ifPresent(sdk -> sdk.shutdown().join(10, TimeUnit.SECONDS));
  }
}
