# asyncctx::asio — Boost.Asio / Beast integration. Linking it is all a user does: the target
# carries the handler-tracking definition, so every Asio handler in the program carries
# context. (The definition must be the same in every translation unit that includes Asio.)
add_library(asyncctx_asio INTERFACE)
add_library(asyncctx::asio ALIAS asyncctx_asio)
target_link_libraries(asyncctx_asio INTERFACE asyncctx::asyncctx Boost::headers)
set_target_properties(asyncctx_asio PROPERTIES EXPORT_NAME asio)
list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_asio)
