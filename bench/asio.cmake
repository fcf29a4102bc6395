# The handler-tracking hook vs plain Boost.Asio on a `post` hop: one source, two programs (the
# tracking definition must be consistent within a program), compared by asio_ratio.sh.
asyncctx_add_bench(asio_bench_hooked asio_bench.cpp LIBS asyncctx::asio)
asyncctx_add_bench(asio_bench_plain asio_bench.cpp LIBS Boost::headers)
