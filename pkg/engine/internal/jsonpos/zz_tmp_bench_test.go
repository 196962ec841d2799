package jsonpos
import ("encoding/json";"os";"testing")
func BenchmarkTmpStdlibUnmarshalAny(b *testing.B) {
	src, _ := os.ReadFile("testdata/policy.json")
	b.SetBytes(int64(len(src))); b.ReportAllocs()
	for b.Loop() { var v any; if err := json.Unmarshal(src, &v); err != nil { b.Fatal(err) } }
}
func BenchmarkTmpStdlibValid(b *testing.B) {
	src, _ := os.ReadFile("testdata/policy.json")
	b.SetBytes(int64(len(src))); b.ReportAllocs()
	for b.Loop() { json.Valid(src) }
}
