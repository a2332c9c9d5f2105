# Link security (docs/SECURITY.md): gRPC credentials and the job token for
# every component, and the job's certificates, made with the OpenSSL library.
find_package(OpenSSL REQUIRED)
target_sources(gaia_common PRIVATE job_ca_verifier.cc link_security.cc)
target_link_libraries(gaia_common PUBLIC OpenSSL::Crypto)

add_library(gaia_job_certs STATIC job_certs.cc)
add_library(gaia::job_certs ALIAS gaia_job_certs)
target_link_libraries(gaia_job_certs PUBLIC gaia_common PRIVATE OpenSSL::Crypto)
