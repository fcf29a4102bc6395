// asyncctx::trace: the whole tracing library (standard library only).
#pragma once

#include <asyncctx/trace/baggage.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/id_generator.hpp>
#include <asyncctx/trace/json_lines_exporter.hpp>
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/sampler.hpp>
#include <asyncctx/trace/simple_span_processor.hpp>
#include <asyncctx/trace/span.hpp>
#include <asyncctx/trace/span_context.hpp>
#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/span_processor.hpp>
#include <asyncctx/trace/suppress.hpp>
#include <asyncctx/trace/trace_state.hpp>
#include <asyncctx/trace/traceparent.hpp>
#include <asyncctx/trace/tracer_provider.hpp>
