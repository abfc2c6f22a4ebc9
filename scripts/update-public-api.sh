#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers reports as undeclared (RS0016) to
# Dht.Core/PublicAPI.Unshipped.txt. Review the diff: it is the change to the NuGet surface.
set -euo pipefail
cd "$(dirname "$0")/.."
file=Dht.Core/PublicAPI.Unshipped.txt
out=$(dotnet build Dht.Core/Dht.Core.csproj -p:TreatWarningsAsErrors=false 2>&1 || true)
grep -oP "RS0016: Symbol '\K.*?(?=' is not part of the declared public API)" <<<"$out" | sort -u > /tmp/dht-api-new.txt || true
{ cat "$file"; cat /tmp/dht-api-new.txt; } | grep -v '^#nullable enable$' | sort -u > /tmp/dht-api-all.txt
{ echo '#nullable enable'; cat /tmp/dht-api-all.txt; } > "$file"
echo "$(wc -l < /tmp/dht-api-new.txt) symbols added to $file"
