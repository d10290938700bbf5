// Package startpages lets a long-running server hand back the pages of its
// own binary that only starting it needed.
//
// A Go binary is mapped from its file, and whatever code and read-only data
// a process touches stays in its resident set: file-backed pages, shared
// with the page cache, but counted in RSS by every tool an operator looks
// at. Starting ssogate touches most of its 57 MB binary: some 240 package
// initialisers spread over it (the Cloudflare SDK the CLI uses among them),
// flag and configuration parsing, migrations, the bootstrap. The kernel maps
// more than each fault asks for (the 64 KiB around it, or the whole large
// folio that holds it in the page cache), so scattered initialisers map
// nearly everything, and a server that then runs a small hot path keeps
// ~30 MiB of its binary resident that it will never execute again.
//
// Release unmaps the binary's read-only segments (code and read-only data,
// which the process never writes) with madvise(MADV_DONTNEED). The pages
// stay in the page cache; what the server still runs faults back in at
// once, as a minor fault. It is the same idea as the kernel freeing its
// __init sections once it has booted. Only pages the process never wrote
// are released: MADV_DONTNEED on the writable segment would discard the
// process's data, and on a position-independent build's relocated data
// (read-only once the loader is done with it) the relocations.
package startpages
