# Unit tests of runtime/encode.c, runtime/sign.c and runtime/endpoint.c.
# One executable per module; one ctest per case, named as a sentence.
ecs_c_test(test_encode test_encode.c)
foreach(t
    encode_is_strict_rfc3986
    decode_reverses_sdk_wire_encoding
    parse_query_splits_and_decodes
    canonical_query_sorts_a_copy_and_encodes
    flatten_matches_sdk_repeatlist_examples
    flatten_handles_names_and_scalars)
  add_test(NAME ${t} COMMAND test_encode ${t})
endforeach()

ecs_c_test(test_sign test_sign.c)
foreach(t
    sign_v1_matches_official_vectors
    sign_v1_documented_examples_match
    sign_v1_ignores_an_existing_signature_param
    sign_v1_secret_and_params_are_not_changed_by_signing
    sign_v3_matches_official_vectors
    sign_v3_documented_example_matches
    sign_v3_canonicalizes_header_names_and_values
    sign_v3_canonical_uri_follows_openapi_core
    sdk_wire_captures_verify_after_decoding
    sha256_hex_matches_known_digests
    random_hex_is_fresh_each_call
    timestamp_has_iso8601_shape
    secure_equal_compares_whole_strings)
  add_test(NAME ${t} COMMAND test_sign ${t})
endforeach()

ecs_c_test(test_endpoint test_endpoint.c)
foreach(t
    endpoint_resolves_like_the_ecs_sdk
    endpoint_map_entries_win_over_network
    endpoint_rejects_bad_regions
    endpoint_fails_when_output_is_too_small
    products_resolve_like_their_sdks)
  add_test(NAME ${t} COMMAND test_endpoint ${t})
endforeach()
