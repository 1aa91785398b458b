declare module 'asl-validator' {
  const aslValidator: (definition: unknown, options?: unknown) => { isValid: boolean; errors: { message?: string }[] };
  export default aslValidator;
}
