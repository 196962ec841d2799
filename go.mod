module github.com/pdp-dev/pdp

go 1.26
