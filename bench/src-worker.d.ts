declare const worker: {
	fetch(request: Request, env: object, ctx: object): Response | Promise<Response>;
};
export default worker;
