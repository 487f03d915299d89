//go:build ctbench_otel

package bench

// Built only with -tags ctbench_otel, when the OpenTelemetry Go SDK is
// there (Debian's golang-opentelemetry-otel-dev, GOPATH mode).

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// drop is a SpanExporter that drops everything.
type drop struct{}

func (drop) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (drop) Shutdown(context.Context) error                             { return nil }

// BenchmarkOTelSpan wraps each call of the original Add in an SDK span,
// exported synchronously when it ends (SimpleSpanProcessor, as ctinject
// writes each span when it ends), with one attribute for the variable.
func BenchmarkOTelSpan(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(drop{})))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := tp.Tracer("example.com/bench")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	s := 0
	for i := 0; i < b.N; i++ {
		_, span := tr.Start(ctx, "Add")
		s = Add(s&1023, i)
		span.SetAttributes(attribute.Int("c", s))
		span.End()
	}
	sink = s
}
