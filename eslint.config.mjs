import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/build/**", "**/node_modules/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      "no-constant-condition": ["error", { checkLoops: false }],
      "require-yield": "off",
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      "no-console": "off"
    }
  },
  {
    // tests read raw JSON bodies of the simulator
    files: ["**/test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" }
  },
  {
    files: ["**/*.mjs", "scripts/**"],
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        fetch: "readonly",
        URLSearchParams: "readonly"
      }
    }
  },
  {
    // the core of both lines knows nothing of Node, the console or real time
    files: ["packages/core/src/**/*.ts", "effect4/packages/core/src/**/*.ts"],
    rules: {
      "no-console": "error",
      "no-restricted-globals": ["error", { name: "fetch", message: "core talks HTTP through HttpClient" }, { name: "setTimeout", message: "use Effect.sleep / Schedule" }, { name: "setInterval", message: "use Schedule" }],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "use Clock" }]
    }
  }
)
