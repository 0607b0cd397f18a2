// ESLint (flat config): typescript-eslint's recommended type-aware rules on the product and its
// tests. Formatting is Prettier's job (.prettierrc.json), so no stylistic rules here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", "dev/lab/.work/", "**/*.js", "**/*.mjs", "test/engine/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed parameters and destructured leftovers are deliberate
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests read mock-recorded inputs of any shape, load the built package with require(), and
    // match rendered configs whose indentation is part of what is asserted.
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "no-regex-spaces": "off",
    },
  },
);
