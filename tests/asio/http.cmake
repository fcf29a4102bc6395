# Beast request context: the id validator and generator, the HTTP server wrapper, and the
# load test (ASYNCCTX_STRESS=long for the full 50,000 requests; see http_load_test.cpp).
asyncctx_add_test(request_context_test request_context_test.cpp LABELS concurrency LIBS asyncctx::asio)
asyncctx_add_test(http_server_test http_server_test.cpp LABELS concurrency LIBS asyncctx::asio)
asyncctx_add_test(http_layer_test http_layer_test.cpp LABELS concurrency LIBS asyncctx::asio)
asyncctx_add_test(http_load_test http_load_test.cpp LABELS concurrency LIBS asyncctx::asio)
