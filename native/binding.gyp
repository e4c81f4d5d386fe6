{
  "targets": [
    {
      "target_name": "iamtrim_scan",
      "sources": ["scan.c"],
      "cflags": ["-O3", "-g", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"] }
    }
  ]
}
