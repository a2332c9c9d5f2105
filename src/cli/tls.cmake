# TLS in the launcher and `gaia certs` (docs/SECURITY.md).
target_sources(gaia_launcher PRIVATE certs_command.cc run_tls.cc)
target_link_libraries(gaia_launcher PUBLIC gaia_job_certs)
