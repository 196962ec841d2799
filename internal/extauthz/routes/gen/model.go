package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// A model is the part of an AWS API model (the aws-sdk's *.min.json) that
// routing needs.
type model struct {
	Metadata struct {
		Protocol     string `json:"protocol"`
		TargetPrefix string `json:"targetPrefix"`
		SigningName  string `json:"signingName"`
	} `json:"metadata"`
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]shape     `json:"shapes"`
}

type operation struct {
	HTTP struct {
		Method     string `json:"method"`
		RequestURI string `json:"requestUri"`
	} `json:"http"`
	Input shape `json:"input"`
}

type shape struct {
	Shape    string            `json:"shape"` // a reference to a named shape
	Type     string            `json:"type"`
	Members  map[string]member `json:"members"`
	Required []string          `json:"required"`
}

type member struct {
	Shape        string `json:"shape"`
	Type         string `json:"type"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

func readModel(path string) (*model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Operations) == 0 {
		return nil, fmt.Errorf("%s: no operations", path)
	}
	return &m, nil
}

// input resolves an operation's input shape.
func (m *model) input(op operation) shape {
	if op.Input.Shape != "" {
		return m.Shapes[op.Input.Shape]
	}
	return op.Input
}

// memberType is the type of a member: its own, or its shape's.
func (m *model) memberType(mb member) string {
	if mb.Type != "" {
		return mb.Type
	}
	if mb.Shape != "" {
		return m.Shapes[mb.Shape].Type
	}
	return "string" // the min models leave plain strings untyped
}

// operationNames returns the operations' names, sorted.
func (m *model) operationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for n := range m.Operations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
