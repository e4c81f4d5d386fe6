{
  "targets": [
    {
      "target_name": "iamtrim_scan",
      "sources": [
        "scan-json.c",
        "scan-walk.c",
        "scan-values.c",
        "scan-group.c",
        "scan-napi.c",
        "gunzip.c",
        "vendor/libdeflate/lib/deflate_decompress.c",
        "vendor/libdeflate/lib/crc32.c",
        "vendor/libdeflate/lib/utils.c",
        "vendor/libdeflate/lib/x86/cpu_features.c",
        "vendor/libdeflate/lib/arm/cpu_features.c"
      ],
      "include_dirs": ["vendor/libdeflate"],
      "cflags": ["-O3", "-g", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-sign-compare"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"] },
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/O2"] } }
    }
  ]
}
